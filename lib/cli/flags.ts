// The command line's grammar: flag tables and the words they read. Hand-written over the tables
// (see tokenize), with runc's quirks: one-dash long flags, exec's command line kept as given.

/** A flag: `--name`; `--no-name` flags set `name` to false (true unless given). */
export interface Flag {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's name in help (`--root <dir>`). */
  value?: string;
  help: string;
  default?: string | boolean | number | string[];
  multiple?: boolean;
  choices?: readonly string[];
  parse?: (value: string) => unknown;
}

export interface Argument {
  name: string;
  required?: boolean;
  variadic?: boolean;
  help?: string;
}

export interface Verb {
  description: string;
  args?: Argument[];
  flags?: Record<string, Flag>;
  /** Flags only before the first argument; the rest is the argument list as given (exec's command, ps's arguments). */
  flagsFirst?: boolean;
}

export class UsageError extends Error {}

/** A verb that does not exist: runc (urfave/cli) says "No help topic for 'x'" and exits 3. */
export class UnknownCommandError extends UsageError {
  constructor(readonly command: string) {
    super(`No help topic for '${command}'`);
  }
}
export const UNKNOWN_COMMAND_EXIT = 3;

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The flags given, by camel-cased name, defaults filled in, choices and values checked. A
 * `--no-x` flag sets `x` to false, true when not given (what the command modules read).
 */
export function parseFlags(args: string[], flags: Record<string, Flag>, allowPositionals: boolean): { values: Record<string, any>; positionals: string[] } {
  const { given, positionals } = tokenize(args, flags, allowPositionals);
  const values: Record<string, any> = {};
  for (const name in flags) {
    const f = flags[name];
    if (name.startsWith('no-')) {
      values[camel(name.slice(3))] = given[name] === undefined;
      continue;
    }
    const value = given[name];
    if (value === undefined) {
      // A copy: the table's own default array must not reach a command that could change it.
      if (f.default !== undefined) values[camel(name)] = Array.isArray(f.default) ? [...f.default] : f.default;
      continue;
    }
    if (f.choices && !f.choices.includes(value as string)) {
      throw new UsageError(`invalid value "${value}" for flag --${name}: expected one of ${f.choices.join(', ')}`);
    }
    values[camel(name)] = f.parse ? f.parse(value as string) : value;
  }
  return { values, positionals };
}

/**
 * Splits words into flags and positionals as POSIX utilities and util.parseArgs (strict) do:
 * `--name`, `--name=value`, `--name value`, `-x`, `-x value`, `-xvalue`, short flags grouped
 * (`-te`, the last one may take a value, `-turoot`), a lone `-` is a word, `--` ends the flags.
 * A value may not start with "-" unless attached (`--preserve-fds=-1`). Hand-written over the
 * flag table: util.parseArgs did the same, but its first call cost ~1.3 ms of every CLI start
 * (Node compiling its module and functions), a tenth of the start-up budget.
 */
function tokenize(args: string[], flags: Record<string, Flag>, allowPositionals: boolean): { given: Record<string, string | boolean | string[]>; positionals: string[] } {
  const given: Record<string, string | boolean | string[]> = {};
  const positionals: string[] = [];
  const set = (name: string, value: string | boolean) => {
    given[name] = flags[name].multiple ? [...((given[name] as string[] | undefined) ?? []), value as string] : value;
  };
  // The value of a flag that takes one: attached, else the next word.
  const valueOf = (name: string, attached: string | undefined, at: number): string => {
    if (attached !== undefined) return attached;
    const next = args[at];
    if (next === undefined) throw new UsageError(`flag --${name} needs a value`);
    if (next.length > 1 && next.startsWith('-')) throw new UsageError(`flag --${name} needs a value (one that starts with "-" is written --${name}=-value)`);
    return next;
  };
  for (let i = 0; i < args.length; i++) {
    const word = args[i];
    if (word === '--') {
      if (!allowPositionals && i + 1 < args.length) throw new UsageError(`unexpected argument ${JSON.stringify(args[i + 1])}`);
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word.slice(2) : word.slice(2, eq);
      if (!Object.hasOwn(flags, name)) throw new UsageError(`unknown flag --${name}`);
      const attached = eq < 0 ? undefined : word.slice(eq + 1);
      if (flags[name].type === 'boolean') {
        if (attached !== undefined) throw new UsageError(`flag --${name} takes no value`);
        set(name, true);
      } else {
        set(name, valueOf(name, attached, i + 1));
        if (attached === undefined) i++;
      }
    } else if (word.startsWith('-') && word !== '-') {
      for (let k = 1; k < word.length; k++) {
        const name = shortFlag(word[k], flags);
        if (name === undefined) throw new UsageError(`unknown flag -${word[k]}`);
        if (flags[name].type === 'boolean') {
          set(name, true);
          continue;
        }
        // A flag that takes a value takes the rest of the group, else the next word.
        const attached = k + 1 < word.length ? word.slice(k + 1) : undefined;
        set(name, valueOf(name, attached, i + 1));
        if (attached === undefined) i++;
        break;
      }
    } else {
      if (!allowPositionals) throw new UsageError(`unexpected argument ${JSON.stringify(word)}`);
      positionals.push(word);
    }
  }
  return { given, positionals };
}

function shortFlag(letter: string, flags: Record<string, Flag>): string | undefined {
  for (const name in flags) if (flags[name].short === letter) return name;
  return undefined;
}

// Below: which words of a command line are flags, and which take the next word as their value.

/** `-bundle x` and `-bundle=x` as Go clients write long flags (urfave/cli accepts them) → `--bundle…`. */
function dashDash(word: string, flags: Record<string, Flag>): string {
  const m = /^-([a-z][a-z-]+)(=.*)?$/.exec(word);
  return m && Object.hasOwn(flags, m[1]) ? `-${word}` : word;
}

/** Does this flag word take the next word as its value? (`--root`, `-e`, and `-te`: a group ending in -e.) */
function needsValue(word: string, flags: Record<string, Flag>): boolean {
  if (word.startsWith('--')) return !word.includes('=') && flags[word.slice(2)]?.type === 'string';
  const short = new Set(Object.values(flags).filter((f) => f.type === 'string' && f.short).map((f) => f.short));
  for (let k = 1; k < word.length; k++) {
    // In a group, the first letter that takes a value takes the rest of the word as it.
    if (short.has(word[k])) return k === word.length - 1;
  }
  return false;
}

const isWord = (a: string) => !a.startsWith('-') || a === '-';

/**
 * Flag words with one-dash long flags written with two, up to where flags end: the first word
 * that is not a flag or a flag's value (when `untilWord`), or `--`. `end` is the index of that
 * word (`--` itself included in `flagArgs`' end), or the length.
 */
export function scanFlags(args: string[], flags: Record<string, Flag>, untilWord: boolean): { flagArgs: string[]; end: number } {
  const flagArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--' || (untilWord && isWord(args[i]))) return { flagArgs, end: i };
    const word = untilWord || !isWord(args[i]) ? dashDash(args[i], flags) : args[i];
    flagArgs.push(word);
    if (!isWord(word) && needsValue(word, flags) && i + 1 < args.length) flagArgs.push(args[++i]);
  }
  return { flagArgs, end: args.length };
}
