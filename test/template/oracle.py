# Renders templates and evaluates conditionals with ansible-core's own code; used by differential.test.ts.
# stdin: {"vars": {...}, "templates": [...], "conditionals": [...]}
# stdout: {"templates": [{"value": ..., "type": "..."} | {"error": "..."}], "conditionals": [...same...]}
import json
import sys

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.conditional import Conditional
from ansible.template import Templar


def run(fn):
    try:
        value = fn()
        return {"value": json.loads(json.dumps(value)), "type": type(value).__name__}
    except Exception as e:  # noqa: BLE001 - any failure is reported to the test
        return {"error": str(e)}


def main():
    data = json.load(sys.stdin)
    loader = DataLoader()
    templar = Templar(loader=loader, variables=data["vars"])
    templates = [run(lambda t=t: templar.template(t)) for t in data.get("templates", [])]

    def cond(c):
        holder = Conditional(loader=loader)
        holder.when = c if isinstance(c, list) else [c]
        return holder.evaluate_conditional(templar, data["vars"])

    conditionals = [run(lambda c=c: cond(c)) for c in data.get("conditionals", [])]
    json.dump({"templates": templates, "conditionals": conditionals}, sys.stdout)


main()
