// Server-sent events as a client parses them (WHATWG HTML's event stream interpretation): one record
// of fields per event, several `data:` lines joined by line breaks, comments apart.
export interface ParsedSse {
  events: Array<Record<string, string>>;
  /** The comment lines (`: keep-alive`), without their colon. */
  comments: string[];
}

export function parseSseStream(text: string): ParsedSse {
  const events: Array<Record<string, string>> = [];
  const comments: string[] = [];
  for (const block of text.replace(/\r\n?/g, '\n').split('\n\n')) {
    const event: Record<string, string> = {};
    for (const line of block.split('\n')) {
      if (!line) continue;
      if (line.startsWith(':')) {
        comments.push(line.slice(1).trim());
        continue;
      }
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      event[field] = field === 'data' && event.data !== undefined ? `${event.data}\n${value}` : value;
    }
    if (Object.keys(event).length) events.push(event);
  }
  return { events, comments };
}

/** The events alone. */
export function parseSse(text: string): Array<Record<string, string>> {
  return parseSseStream(text).events;
}
