import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { eventsSchema, eventsSchemaText } from '../../src/events/schema.js';
import type { RunEvent, RunEventName } from '../../src/events/types.js';
import { runPlaybook } from '../../src/engine/run.js';
import { loadInventory } from '../../src/load/inventory.js';
import { loadPlaybook } from '../../src/load/playbook.js';

const FIXTURES = 'test/output/fixtures';
const scratch = mkdtempSync(join(tmpdir(), 'tsbook-events-schema-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const validate = new Ajv({ allErrors: true, strict: true }).compile(eventsSchema());

async function events(playbook: string): Promise<RunEvent[]> {
  const inventory = await loadInventory([`${FIXTURES}/inventory.ini`]);
  const out: RunEvent[] = [];
  await runPlaybook({
    playbooks: [await loadPlaybook(`${FIXTURES}/${playbook}`)],
    inventory,
    extraVars: { tour_dir: scratch },
    connectionTimeout: 5,
    onEvent: (e) => out.push(e),
  });
  // what --json writes: JSON text, one line per event
  return out.map((e) => JSON.parse(JSON.stringify(e)) as RunEvent);
}

describe('schemas/events.schema.json', () => {
  it('is up to date (run `npm run schemas`)', () => {
    const committed = existsSync('schemas/events.schema.json') ? readFileSync('schemas/events.schema.json', 'utf8') : '';
    expect(committed === eventsSchemaText(), 'schemas/events.schema.json is stale: run `npm run schemas`').toBe(true);
  });

  it('rejects events that are not RunEvents', () => {
    expect(validate({ event: 'task_end' })).toBe(false);
    expect(validate({ event: 'play_end' })).toBe(false);
    expect(validate({ event: 'play_end', name: 'x', extra: 1 })).toBe(false);
    expect(validate({ event: 'recap', hosts: { h: { ok: 1 } } })).toBe(false);
    expect(validate({ event: 'task_result', task: { name: 't', action: 'a', source: { file: 'f', line: 1, col: 1 }, isHandler: false }, result: { host: 'h', status: 'done', changed: false, values: {}, durationMs: 1 } })).toBe(false);
    expect(validate({ event: 'play_end', name: 'x' })).toBe(true);
  });
});

describe('real event streams validate line by line', () => {
  const seen = new Set<RunEventName>();
  for (const playbook of ['tour.yml', 'tour-extra.yml', 'tour-fatal.yml']) {
    it(playbook, async () => {
      const stream = await events(playbook);
      expect(stream.length).toBeGreaterThan(5);
      for (const [i, event] of stream.entries()) {
        expect(validate(event), `line ${i + 1} (${event.event}): ${JSON.stringify(validate.errors)}`).toBe(true);
        seen.add(event.event);
      }
    }, 30_000);
  }
  it('the fixtures produce every event kind', () => {
    const kinds = (eventsSchema().properties as { event: { enum: string[] } }).event.enum;
    expect([...seen].sort()).toEqual([...kinds].sort());
  });
});
