# docker/stack-test.sh's stand-in for compose.yaml's nginx:1.28-alpine, which cannot be pulled here:
# Debian's nginx on the local bookworm base, laid out as the official image is (the server config
# mounted at /etc/nginx/conf.d/default.conf inside http {}, logs to stdout/stderr, wget for the
# compose healthcheck, SIGQUIT for a graceful stop). Debian's own default site is removed: it would
# take port 80 first.
FROM specbind-stack-test/bookworm:base
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nginx-light wget >/dev/null \
 && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default /etc/nginx/conf.d/* \
 && ln -sf /dev/stdout /var/log/nginx/access.log && ln -sf /dev/stderr /var/log/nginx/error.log
EXPOSE 80
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
