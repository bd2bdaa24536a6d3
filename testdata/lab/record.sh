#!/bin/sh
# Records every fixture scenario into testdata/lab/scenarios/ (or only some:
# record.sh -only clean-zitadel-h2,code-reuse-double-handler-zitadel).
# Needs root (tcpdump on lo) and: apt-get install -y chromium tcpdump wireshark-common tshark nginx haproxy;
# node and npm for the oidc-provider scenarios (the recorder runs npm ci here first).
set -eu
cd "$(dirname "$0")"
exec go run ./cmd/record -out scenarios "$@"
