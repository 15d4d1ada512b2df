#!/bin/sh
# Makes the key material on first start (docker-compose service "keys"): the
# collector's keypair, an administrator's keypair and the client registry.
# Respondents' keys are added to /keys/clients.txt by the operator
# (survey keygen CODE, then "CODE respondent PUBLIC-KEY"); the collector
# reloads the registry on SIGHUP (docker-compose kill -s HUP collector).
set -eu
cd /keys
if [ ! -f server.secret ]; then
  survey keygen server --dir /keys
  survey keygen admin --dir /keys
  key=$(sed -n 's/^ *public-key = "\(.*\)"$/\1/p' admin.pub)
  printf '# identity role public-key\nadmin admin %s\n' "$key" >clients.txt
fi
chmod 600 /keys/*.secret
