/* js-counter: examples/counter, in JavaScript. Its state is {"count":N}.
 *
 *   send    {"op":"inc"}          count += 1
 *   send    {"op":"add","n":K}    count += K
 *   request {"op":"get"}          answers {"count":N}
 *           (a request may also inc or add; it answers the new count)
 *
 * Anything else is answered with an error that names the problem; the
 * counter never traps on bad input.
 *
 * build.sh turns this module into a Component Model component for the WIT
 * world theater:simple/message-actor (wit/world.wit) with componentize-js.
 * The bindings map the WIT types to JavaScript ones: an option<list<u8>>
 * state is a Uint8Array or undefined, a tuple is an array, a record an
 * object with camelCase fields, and an export's result<T, string> is its
 * return value (ok) or the string it throws (err). */
import { log } from 'theater:simple/runtime';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/* componentize-js turns a thrown string into the export's err(string), but
 * anything else thrown (an Error, a SyntaxError from JSON.parse) makes the
 * component trap, which stops the actor. Every export that can fail runs
 * through this, so a failure is always an error the sender can read. */
function answering(handler) {
  return (...args) => {
    try {
      return handler(...args);
    } catch (e) {
      throw e instanceof Error ? e.message : String(e);
    }
  };
}

/* Bytes as a JSON object; `what` names them in the error. */
function parseObject(bytes, what) {
  let value;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (e) {
    throw new Error(`${what} is not valid JSON: ${e.message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new Error(`${what} must be a JSON object`);
  return value;
}

/* JavaScript numbers are doubles: the count stays within the integers they
 * hold exactly (2^53 - 1 either way) rather than silently rounding. */
function isCount(n) {
  return Number.isSafeInteger(n);
}

function readCount(state) {
  if (state === undefined) throw new Error('the state is empty; expected {"count":N}');
  const { count } = parseObject(state, 'bad state: the state');
  if (!isCount(count))
    throw new Error("bad state: 'count' must be an integer (of at most 2^53 - 1 either way)");
  return count;
}

function encodeCount(count) {
  return encoder.encode(JSON.stringify({ count }));
}

/* The change an op asks for: +1 for inc, +n for add, 0 for get. */
function readDelta(msg, isRequest) {
  const { op, n } = parseObject(msg, 'the message');
  if (typeof op !== 'string') throw new Error("'op' must be a string");
  switch (op) {
    case 'inc':
      return 1;
    case 'add':
      if (!isCount(n)) throw new Error("'n' must be an integer (of at most 2^53 - 1 either way)");
      return n;
    case 'get':
      if (!isRequest) throw new Error("'get' answers with the count: send it as a request");
      return 0;
    default:
      throw new Error(`unknown op: ${op}`);
  }
}

/* Applies the message to the state: the state and the count afterwards. An
 * op that changes nothing hands the state back as it came. */
function apply(state, msg, isRequest) {
  const delta = readDelta(msg, isRequest);
  const count = readCount(state) + delta;
  if (!isCount(count)) throw new Error('the count would leave the integers JavaScript holds exactly');
  return { state: delta === 0 ? state : encodeCount(count), count };
}

export const actor = {
  init: answering((state, [_actorId]) => {
    const count = state === undefined ? 0 : readCount(state);
    log(`js counter ready, count = ${count}`);
    return [state === undefined ? encodeCount(0) : state];
  }),
};

/* The world's message-server-client interface: every one of its exports
 * must exist. The counter takes no channels: it refuses to open one, and
 * so can never be sent a message on one. */
export const messageServerClient = {
  handleSend: answering((state, [msg]) => [apply(state, msg, false).state]),

  handleRequest: answering((state, [msg]) => {
    const after = apply(state, msg, true);
    return [after.state, [encodeCount(after.count)]];
  }),

  handleChannelOpen: (state, [_channelId, _msg]) => [state, [{ accepted: false, message: undefined }]],

  handleChannelMessage: (_state, [channelId, _msg]) => {
    throw `js-counter has no channels (a message arrived on ${channelId})`;
  },

  handleChannelClose: (state, [_channelId]) => [state],
};
