/**
 * Named errors of the data section. Each says what was wrong and what to do about it.
 */

/** A shard, partition or node name that the store or ring does not know. */
export class UnknownShardError extends Error {
  override readonly name = "UnknownShardError";
  /**
   * @param shard - the name given
   * @param known - the names that exist
   */
  constructor(
    readonly shard: string,
    readonly known: readonly string[],
  ) {
    super(`There is no shard "${shard}" (known: ${known.join(", ") || "none"}). Use one of the known names, or add the shard first.`);
  }
}

/** A lookup on a ring (or placement) with no nodes. */
export class EmptyRingError extends Error {
  override readonly name = "EmptyRingError";
  constructor(readonly placement: string) {
    super(`${placement} has no nodes, so no key has an owner. Add a node (addNode) before looking keys up.`);
  }
}

/** A node id added twice. */
export class DuplicateNodeError extends Error {
  override readonly name = "DuplicateNodeError";
  constructor(
    readonly placement: string,
    readonly node: string,
  ) {
    super(`${placement} already has a node "${node}". Node ids must be unique: remove it first, or pick another id.`);
  }
}

/** An event that cannot be stored: no type, data that is not a plain JSON object, and so on. */
export class MalformedEventError extends TypeError {
  override readonly name = "MalformedEventError";
  /**
   * @param stream - the stream appended to
   * @param index - position of the bad event in the appended batch
   * @param problem - what is wrong with it
   */
  constructor(
    readonly stream: string,
    readonly index: number,
    readonly problem: string,
  ) {
    super(`Event ${index} appended to "${stream}" is malformed: ${problem}. Nothing was appended. An event is { type: "SomethingHappened", data: { ...plain JSON } }.`);
  }
}

/** What an append expects a stream's revision to be (EventStoreDB's names; a bigint is read as a number). */
export type ExpectedRevision = "any" | "no_stream" | "stream_exists" | number | bigint;

/** An append whose expected revision did not match the stream: nothing was appended. */
export class WrongExpectedVersionError extends Error {
  override readonly name = "WrongExpectedVersionError";
  /**
   * @param stream - the stream
   * @param expected - the revision the writer expected
   * @param actual - the stream's revision (-1 for a stream that does not exist)
   */
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number,
  ) {
    super(
      `Append to "${stream}" expected revision ${String(expected)} but the stream is at ${actual === -1 ? "no_stream (it does not exist)" : actual}. Nothing was appended: another writer got there first. Reload the stream, decide again, and append with the new revision.`,
    );
  }
}

/** A command the aggregate's rules refuse (e.g. a withdrawal beyond the overdraft limit). */
export class CommandRejectedError extends Error {
  override readonly name = "CommandRejectedError";
  constructor(
    readonly command: string,
    readonly reason: string,
  ) {
    super(`${command} rejected: ${reason}`);
  }
}
