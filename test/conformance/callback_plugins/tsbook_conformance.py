# Conformance-suite stdout callback for ansible-core 2.14 (test infrastructure for tsbook).
# Writes one JSON object per line: every task result in the order Ansible processes it, then the
# recap. Lines go to the file named by TSBOOK_CONF_EVENTS (or stdout when unset), so nothing else
# Ansible prints (pause prompts, warnings) can interleave with them.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

DOCUMENTATION = '''
    name: tsbook_conformance
    type: stdout
    short_description: NDJSON task results and recap for the tsbook conformance suite
    description:
      - Emits {"ev":"result",...} per task result and {"ev":"recap",...} at the end.
'''

import json
import os
import sys

from ansible.plugins.callback import CallbackBase


def _plain(value):
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def _strip(result):
    return {k: v for k, v in result.items() if not k.startswith('_ansible') or k == '_ansible_item_label'}


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'tsbook_conformance'

    def __init__(self):
        super(CallbackModule, self).__init__()
        path = os.environ.get('TSBOOK_CONF_EVENTS')
        self._out = open(path, 'a') if path else sys.stdout

    def _emit(self, obj):
        self._out.write(json.dumps(obj, default=str, sort_keys=True) + '\n')
        self._out.flush()

    def _result(self, status, result, ignored=False):
        task = result._task
        res = result._result
        self._emit({
            'ev': 'result',
            'host': result._host.get_name(),
            'task': task.get_name(),
            'action': task.action,
            'handler': bool(getattr(task, 'implicit', False)) or type(task).__name__ == 'Handler',
            'status': status,
            'changed': bool(res.get('changed', False)),
            'ignored': bool(ignored),
            'values': _plain(_strip(res)),
        })

    def v2_runner_on_ok(self, result):
        self._result('changed' if result._result.get('changed', False) else 'ok', result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result('failed', result, ignored=ignore_errors)

    def v2_runner_on_skipped(self, result):
        self._result('skipped', result)

    def v2_runner_on_unreachable(self, result):
        self._result('unreachable', result)

    def v2_playbook_on_play_start(self, play):
        self._emit({'ev': 'play', 'name': play.get_name()})

    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for host in sorted(stats.processed.keys()):
            s = stats.summarize(host)
            hosts[host] = {
                'ok': s['ok'], 'changed': s['changed'], 'unreachable': s['unreachable'],
                'failed': s['failures'], 'skipped': s['skipped'], 'rescued': s['rescued'],
                'ignored': s['ignored'],
            }
        self._emit({'ev': 'recap', 'hosts': hosts})
