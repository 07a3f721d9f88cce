#!/bin/sh
# Install Shallot's relay host on Debian 12: coturn, Caddy, the bootstrap relay.
#
#   sudo /opt/shallot/deploy/install.sh
#
# Idempotent: run it again after editing /etc/shallot/shallot-relay.env or
# updating the repository. It never overwrites the env file or the secret.
#
#  1. installs coturn and caddy (apt);
#  2. creates /etc/shallot/shallot-relay.env from the example (then stops, so you
#     can edit it) and the TURN secret /etc/shallot/turn-secret (openssl rand,
#     root only; the relay gets a copy through systemd's LoadCredential=);
#  3. writes /etc/turnserver.conf = deploy/coturn/turnserver.conf with the realm
#     and the secret filled in (mode 0640, group turnserver);
#  4. installs the Caddyfile, the relay unit and the coturn/caddy drop-ins;
#  5. (re)starts coturn, caddy and shallot-relay.
#
# The repository must be at /opt/shallot with `npm ci` done, and Node >= 20.19
# at /usr/bin/node (deploy/README.md).
set -eu

REPO=/opt/shallot
ETC=/etc/shallot
ENV_FILE=$ETC/shallot-relay.env
SECRET_FILE=$ETC/turn-secret

die() { echo "install.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root: sudo $0"
[ -f "$REPO/src/bootstrap/main.ts" ] || die "expected the repository at $REPO (git clone … $REPO)"
[ -d "$REPO/node_modules/tsx" ] || die "run \`npm ci\` in $REPO first"
[ -x /usr/bin/node ] || die "Node >= 20.19 must be at /usr/bin/node"
/usr/bin/node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node >= 20.19 needed at /usr/bin/node (found $(/usr/bin/node --version))"

# 1. packages
if ! command -v turnserver >/dev/null || ! command -v caddy >/dev/null || ! command -v openssl >/dev/null; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y coturn caddy openssl
fi

# 2. settings and secret
install -d -m 0755 "$ETC"
if [ ! -f "$ENV_FILE" ]; then
  install -m 0644 "$REPO/deploy/shallot-relay.env.example" "$ENV_FILE"
  echo "Created $ENV_FILE: edit it (names, e-mail, ICE urls), then run $0 again."
  exit 0
fi
if grep -q 'example\.org' "$ENV_FILE"; then
  die "$ENV_FILE still names example.org: edit it first"
fi
if [ ! -s "$SECRET_FILE" ]; then
  (umask 077 && openssl rand -hex 32 > "$SECRET_FILE.new" && mv "$SECRET_FILE.new" "$SECRET_FILE")
  echo "Generated the TURN secret in $SECRET_FILE"
fi
chown root:root "$SECRET_FILE"
chmod 0600 "$SECRET_FILE"
# shellcheck disable=SC1090 # the operator's settings
. "$ENV_FILE"

# 3. coturn: the repository's config plus realm and secret (never in git)
tmp=$(mktemp /etc/turnserver.conf.XXXXXX)
trap 'rm -f "$tmp"' EXIT
sed "s/^realm=.*/realm=$SHALLOT_TURN_DOMAIN/" "$REPO/deploy/coturn/turnserver.conf" > "$tmp"
printf '\n# added by deploy/install.sh from %s\nstatic-auth-secret=%s\n' "$SECRET_FILE" "$(cat "$SECRET_FILE")" >> "$tmp"
chown root:turnserver "$tmp"
chmod 0640 "$tmp"
mv "$tmp" /etc/turnserver.conf
trap - EXIT

# 4. Caddy and units
if [ -f /etc/caddy/Caddyfile ] && [ ! -f /etc/caddy/Caddyfile.debian ] && ! grep -q SHALLOT_ /etc/caddy/Caddyfile; then
  cp /etc/caddy/Caddyfile /etc/caddy/Caddyfile.debian
fi
install -m 0644 "$REPO/deploy/caddy/Caddyfile" /etc/caddy/Caddyfile
install -d -m 0755 "$SHALLOT_APP_ROOT"
install -m 0644 "$REPO/deploy/systemd/shallot-relay.service" /etc/systemd/system/shallot-relay.service
for unit in coturn caddy; do
  install -d -m 0755 "/etc/systemd/system/$unit.service.d"
  install -m 0644 "$REPO/deploy/systemd/$unit.service.d/shallot.conf" "/etc/systemd/system/$unit.service.d/shallot.conf"
done

# 5. start
systemctl daemon-reload
systemctl enable coturn caddy shallot-relay
systemctl restart coturn caddy shallot-relay
echo "Done. Check: systemctl status shallot-relay; curl https://$SHALLOT_RELAY_DOMAIN/info"
