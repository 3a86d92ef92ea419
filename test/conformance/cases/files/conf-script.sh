#!/bin/sh
# used by 66-shell-raw-script.yml
echo "script args: $*"
echo "to stderr" >&2
exit 0
