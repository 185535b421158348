# docker/stack-test.sh's stand-in for compose.yaml's postgres:16-bookworm, which cannot be pulled
# here: Debian bookworm's PostgreSQL (15) on the local bookworm base, with an entrypoint that does
# what the official image's does with the variables compose.yaml sets (POSTGRES_USER, POSTGRES_PASSWORD,
# POSTGRES_DB; a new cluster in /var/lib/postgresql/data, the named volume; password auth over TCP,
# trust on the local socket; SIGINT for a fast shutdown). Built with docker/stack-test/ as the context.
FROM specbind-stack-test/bookworm:base
# As the official image does: no cluster made at install time (the entrypoint makes one in the volume).
RUN mkdir -p /etc/postgresql-common && echo 'create_main_cluster = false' > /etc/postgresql-common/createcluster.conf \
 && apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && ln -s /usr/lib/postgresql/*/bin/* /usr/local/bin/ \
 && mkdir -p /var/lib/postgresql/data /run/postgresql && chown postgres:postgres /var/lib/postgresql/data /run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
ENV PGDATA=/var/lib/postgresql/data
VOLUME /var/lib/postgresql/data
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/postgres-entrypoint.sh"]
