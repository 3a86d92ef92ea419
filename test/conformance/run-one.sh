#!/usr/bin/env bash
# Runs one conformance case with ansible-playbook and with tsbook, shows both outputs and the diff
# of what the suite compares (exit code, recap, debug values).
# Usage: test/conformance/run-one.sh CASE [--no-human]
#   CASE: 07-filters-strings, 07, cases/07-filters-strings.yml ...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { echo "usage: $0 CASE [--no-human]" >&2; exit 64; }
name=$(basename "$1"); name=${name%.yml}; name=${name%.yaml}
file=$(cd "$here/cases" && ls -1 | grep -E "^${name}(-.*)?\.ya?ml$" | head -1)
[ -n "$file" ] || { echo "no case matching '$1' in $here/cases" >&2; exit 64; }
name=${file%.yml}
inventory=$(sed -n '/^#/!q; s/^# inventory: *//p' "$here/cases/$file" | head -1)
inventory=${inventory:-inv/one.ini}
args=$(sed -n '/^#/!q; s/^# args: *//p' "$here/cases/$file" | tr '\n' ' ')
eval "set -- $args \"\${@:2}\""
human=1
extra=()
for a in "$@"; do if [ "$a" = "--no-human" ]; then human=0; else extra+=("$a"); fi; done

export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOST_KEY_CHECKING=False \
  ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_INVENTORY_UNPARSED_WARNING=0 ANSIBLE_DEPRECATION_WARNINGS=0 \
  ANSIBLE_CONFIG="$here/ansible.cfg"
out=$(mktemp -d /tmp/tsbook-conf-run-one.XXXXXX)
echo "case: $file   inventory: $inventory   args: ${extra[*]:-}"
if [ $human = 1 ]; then
  echo "===== ansible-playbook (default output)"
  (cd "$here/cases" && ansible-playbook -i "$inventory" "$file" "${extra[@]}"); echo "ansible-playbook rc=$?"
  echo "===== tsbook run --plain"
  (cd "$here/cases" && node "$root/bin/tsbook" run -i "$inventory" "$file" "${extra[@]}" --plain); echo "tsbook rc=$?"
fi
echo "===== compared values (--- ansible, +++ tsbook)"
(cd "$root" && CONFORMANCE_CASE="$name" CONFORMANCE_DUMP_DIR="$out" npx vitest run test/conformance/conformance.test.ts >"$out/vitest.log" 2>&1)
if [ ! -f "$out/$name.ansible.txt" ]; then cat "$out/vitest.log"; exit 1; fi
if diff -u --label ansible "$out/$name.ansible.txt" --label tsbook "$out/$name.tsbook.txt"; then
  echo "SAME"
  rm -rf "$out"
else
  echo "(raw logs kept in $out)"
  exit 1
fi
