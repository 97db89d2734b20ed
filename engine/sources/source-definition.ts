import type { Facts } from '../core/facts.js';
import type { IssueCode, Severity } from '../core/errors.js';
import type { JsonSchema } from '../core/json-schema.js';
import type { NodePath, YamlSource } from '../core/yaml-source.js';
import type { GlobKind } from '../match/glob.js';
import type { PresentDevice, Source, SourceContext } from './source.js';

/** What `create` is given: where to report, and the `detect.<kind>` blocks of the loaded profiles. */
export interface SourceSetup<Block = unknown> extends SourceContext {
  /** This source's block of every loaded profile that has one (a source that watches what profiles name starts from them). */
  blocks: readonly Block[];
}

/** Reports one issue of a profile, at a path in its YAML. */
export type ReportIssue = (
  path: NodePath,
  part: 'key' | 'value',
  severity: Severity,
  code: IssueCode,
  message: string,
) => void;

/** What a source's lint is given besides its own `detect.<kind>` block. */
export interface SourceLintContext {
  /** The profile's YAML, for checks on how a value is written (quoted or not). */
  yaml: YamlSource;
  /** Where the block is: `['detect', kind]`. */
  at: NodePath;
  /** The profile's `priority`, when it is a number. */
  priority: number | undefined;
  /** Whether the profile says, with a reason (`broad`), that it is meant to match broadly. */
  broad: boolean;
  /** The profile's `detect.when`, if any. */
  when: unknown;
  /** Whether this block is the profile's only source block and is empty: it takes every device of its kind. */
  catchAll: boolean;
  /** Whether another block of `detect` tells devices that share ids apart (see `distinguishes`). */
  distinguished: boolean;
  report: ReportIssue;
}

/**
 * A device source, whole: what it declares (the `detect.<kind>` block it reads from a profile,
 * the facts it supplies under `<kind>.*`, its settings), how it runs, how it looks once, and how
 * a profile's block is checked against a device and linted. The profile schema, the config
 * schema and the validator's fact checks are assembled from these, so they cannot drift apart.
 * `Config` is the source's settings after the config schema has accepted them; `Block` its
 * `detect.<kind>` block after the profile schema has.
 */
export interface SourceDefinition<
  Config extends object = Record<string, unknown>,
  Block = unknown,
  Kind extends string = string,
> {
  /** The key under `detect` and the root of its facts, e.g. `usb`. */
  kind: Kind;
  description: string;
  /** Schema of the `detect.<kind>` block. */
  detectSchema: JsonSchema;
  /** Every fact `<kind>.<name>` with what it holds. */
  facts: Readonly<Record<string, string>>;
  /** The facts every device of this source has: a test's facts for this source must give them. */
  requiredFacts: readonly string[];
  /** Schemas of the facts whose value is not a string or null, for the checks on a test's facts. */
  factSchemas?: Readonly<Record<string, JsonSchema>>;
  /** Schema of this source's settings under `sources.<kind>` in the engine config, if it has any. */
  configSchema?: JsonSchema;
  /**
   * Fact roots of other sources that this source's devices carry too (a tty carries its USB
   * parent's `usb.*`): a device, or a profile, with both is one of this source's.
   */
  carries?: readonly string[];
  /** The keys of the block that are globs, and what they are matched against; `engine validate` compiles them. */
  globKeys: Readonly<Record<string, GlobKind>>;
  /** The running source, from its validated settings (`{}` when the config file has none). */
  create(config: Config, setup: SourceSetup<Block>): Source;
  /**
   * The devices present now, keyed and described as the running source reports them at
   * start-up: one look, nothing watched (`engine list`, `engine new`), with the source's
   * settings from the config file when the command was given one.
   */
  enumerate(blocks: readonly Block[], config?: Config): Promise<PresentDevice[]>;
  /** One line saying what a device of this source is, for `engine list`. */
  describe(facts: Facts, key: string): string;
  /** Why the block does not hold for a device's facts, or undefined when it does. */
  mismatch(block: Block, facts: Facts): string | undefined;
  /**
   * A test's facts for this source completed where the running source derives one fact from
   * another (a file's `name` from its `path`), so that tests need not write them.
   */
  completeFacts?(facts: Record<string, unknown>): Record<string, unknown>;
  /** Whether the block tells apart devices that share USB ids (by strings, an interface or a probe). */
  distinguishes?(block: Record<string, unknown>): boolean;
  /**
   * The checks on the block that its schema cannot express. Runs whether or not the schema held,
   * so the block's values may have any type.
   */
  lint?(block: Record<string, unknown>, context: SourceLintContext): void;
}

/** The `detect` block type a source definition reads. */
export type DetectBlockOf<Definition> = Definition extends { mismatch(block: infer Block, facts: Facts): unknown }
  ? Block
  : never;
