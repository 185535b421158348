// Repository URLs → image names, after binder-build's lib/sources/github.js
// (`https://github.com/owner/repo#branch` → `owner-repo-branch`). Only GitHub is supported, as there.

export interface RepoSource {
  /** The image (and later template) name: lower case, since Docker image names must be. */
  name: string;
  /** `owner/repo`, with `#branch` when one was given. */
  displayName: string;
}

/** Undefined for a repository that is not on GitHub (the caller answers badRepoSource). */
export function sourceOf(repository: string): RepoSource | undefined {
  let url: URL;
  try {
    url = new URL(repository);
  } catch {
    return undefined;
  }
  // Binder accepted any host ending in github.com; a whole-label match keeps out `evilgithub.com`.
  const host = url.hostname.toLowerCase();
  if (host !== 'github.com' && host !== 'www.github.com') return undefined;
  const [owner, repo] = url.pathname.split('/').filter(Boolean);
  if (!owner || !repo) return undefined;
  const repoName = repo.replace(/\.git$/, '');
  const branch = decodeURIComponent(url.hash.slice(1));
  const path = `${owner}/${repoName}`;
  const name = [owner, repoName, branch]
    .filter(Boolean)
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 200); // the document's ResourceName maxLength
  if (!name) return undefined;
  return { name, displayName: branch ? `${path}#${branch}` : path };
}
