import { describe, expect, it } from 'vitest';
import { withoutDefiner } from '../../src/runner/rehearsal-copy.ts';
import { copyCondition } from '../../src/runner/rehearsal-scope.ts';

describe('rehearse, the parts without a server', () => {
  it('drops a trigger DEFINER in every quoting, and nothing else', () => {
    const body = 'TRIGGER t BEFORE UPDATE ON wp_users FOR EACH ROW SET NEW.a = OLD.a';
    expect(withoutDefiner(`CREATE DEFINER=\`root\`@\`localhost\` ${body}`)).toBe(`CREATE ${body}`);
    expect(withoutDefiner(`CREATE DEFINER = 'app user'@'%' ${body}`)).toBe(`CREATE ${body}`);
    expect(withoutDefiner(`create definer=app@10.0.0.% ${body}`)).toBe(`create ${body}`);
    expect(withoutDefiner(`CREATE ${body}`)).toBe(`CREATE ${body}`);
    // A DEFINER inside the trigger's body is text of the body, not the clause.
    const inner = `CREATE ${body.replace('SET NEW.a = OLD.a', "SET NEW.note = 'DEFINER=x@y'")}`;
    expect(withoutDefiner(inner)).toBe(inner);
  });

  it('joins the reasons to copy a table into one condition; any whole-table reason takes every row', () => {
    expect(
      copyCondition([
        { reason: 'a', where: 'x = 1' },
        { reason: 'b', where: 'y IN (1)' },
      ]),
    ).toBe('(x = 1) OR (y IN (1))');
    expect(
      copyCondition([
        { reason: 'a', where: 'x = 1' },
        { reason: 'snapshot', where: null },
      ]),
    ).toBeNull();
  });
});
