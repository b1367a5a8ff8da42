// The shape of a validation report: every problem found, each located by a JSON pointer.
import type { RuleId } from './rule-table.js';

export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** JSON pointer (RFC 6901) into the document, e.g. `/linux/namespaces/2/type`; `` is the root. */
  pointer: string;
  /** A sentence a person can act on. */
  message: string;
  /** The file the document came from, when known. */
  file?: string;
  /** 1-based line and column of the value the pointer names, when the source text is known. */
  line?: number;
  column?: number;
  /** Which check found it: a semantic rule id (see rule-table.ts) or `schema/<keyword>`. */
  rule?: string;
}

export interface ValidationReport {
  /** False when any problem is an error; warnings alone leave a config valid. */
  valid: boolean;
  problems: Problem[];
}

export interface ValidateOptions {
  /**
   * The bundle directory. When given, checks that need the host run too: root.path must be a
   * directory (relative paths resolve against this directory) and namespace paths must exist.
   */
  bundleDir?: string;
  /** Recorded in every problem's `file`. */
  file?: string;
}

/** What a semantic rule module sees. `config` is untrusted: the schema may have failed. */
export interface RuleContext {
  config: Record<string, unknown>;
  /** Set when host checks (files, directories) should run. */
  bundleDir?: string;
  error(pointer: string, rule: RuleId, message: string): void;
  warn(pointer: string, rule: RuleId, message: string): void;
}

export type RuleModule = (ctx: RuleContext) => void;
