import { afterEach, describe, expect, it, vi } from 'vitest';
import { pauseModule, pauseTerminal, pythonRound2 } from '../../src/modules/pause.js';
import { createModuleContext } from '../support/module-context.js';

afterEach(() => vi.restoreAllMocks());

describe('pause', () => {
  it('pauses for seconds and reports like Ansible', async () => {
    const ctx = createModuleContext();
    const result = await pauseModule.run({ seconds: 1 }, ctx);
    expect(result.changed).toBe(false);
    expect(result.values).toMatchObject({ rc: 0, stderr: '', echo: true, user_input: '', delta: 1 });
    expect(String(result.values!['stdout'])).toMatch(/^Paused for 1(\.\d+)? seconds$/);
    expect(ctx.progressMessages).toEqual(['Pausing for 1 seconds']);
  });

  it('does not wait for a prompt without a terminal, with Ansible\'s warning', async () => {
    vi.spyOn(pauseTerminal, 'interactive').mockReturnValue(false);
    const result = await pauseModule.run({ prompt: 'Continue?' }, createModuleContext());
    expect(result.warnings).toEqual(['Not waiting for response to prompt as stdin is not interactive']);
    expect(result.values).toMatchObject({ stdout: 'Paused for 0.0 minutes', user_input: '' });
  });

  it('returns what the user typed at a terminal', async () => {
    vi.spyOn(pauseTerminal, 'interactive').mockReturnValue(true);
    const read = vi.spyOn(pauseTerminal, 'readLine').mockResolvedValue('typed');
    const result = await pauseModule.run({ prompt: 'Name?' }, createModuleContext());
    expect(read).toHaveBeenCalledWith('Name?', expect.anything());
    expect(result.values!['user_input']).toBe('typed');
  });

  it('rejects seconds with minutes', async () => {
    await expect(pauseModule.run({ seconds: 1, minutes: 1 }, createModuleContext())).rejects.toThrow('mutually exclusive');
  });

  it('formats durations like Python round(x, 2)', () => {
    expect(pythonRound2(1.0002)).toBe('1.0');
    expect(pythonRound2(0.0166)).toBe('0.02');
    expect(pythonRound2(61.456)).toBe('61.46');
  });
});
