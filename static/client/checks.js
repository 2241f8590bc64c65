// Cheap argument checks done before anything crosses to the worker; the engine checks
// everything again. Each returns the value it accepted, or throws an Error naming the argument.

import { MAX_TEXT, OPERATOR_NAMES } from "./constants.js";

/** @param {unknown} value @param {string} name @param {number} [length] @returns {Float32Array} */
export function checkVector(value, name, length) {
  if (!(value instanceof Float32Array)) {
    throw new TypeError(`${name} must be a Float32Array, got ${describe(value)}`);
  }
  if (length !== undefined && value.length !== length) {
    throw new Error(`${name} has ${value.length} values, expected ${length}`);
  }
  for (let i = 0; i < value.length; i++) {
    if (!Number.isFinite(value[i])) {
      throw new Error(`${name} contains NaN or Inf (at index ${i})`);
    }
  }
  return value;
}

/** @param {unknown} value @param {string} name @param {number} [low] @param {number} [high] @returns {number} */
export function checkNumber(value, name, low = -Infinity, high = Infinity) {
  if (typeof value !== "number") {
    throw new TypeError(`${name} must be a number, got ${describe(value)}`);
  }
  if (!Number.isFinite(value)) {
    throw new Error(`${name} must be finite, got ${value}`);
  }
  if (value < low || value > high) {
    throw new Error(`${name} must be in [${low}, ${high}], got ${value}`);
  }
  return value;
}

/** @param {unknown} value @param {string} name @param {number} [low] @param {number} [high] @returns {number} */
export function checkInteger(value, name, low, high) {
  const number = checkNumber(value, name, low, high);
  if (!Number.isInteger(number)) {
    throw new TypeError(`${name} must be an integer, got ${number}`);
  }
  return number;
}

/** @param {unknown} value @param {string} name @returns {string} */
export function checkText(value, name) {
  if (typeof value !== "string") {
    throw new TypeError(`${name} must be a string, got ${describe(value)}`);
  }
  if (value.length > MAX_TEXT) {
    throw new Error(`${name} has ${value.length} characters, at most ${MAX_TEXT} allowed`);
  }
  return value;
}

/** @param {unknown} value @param {string} name @returns {boolean} */
export function checkBoolean(value, name) {
  if (typeof value !== "boolean") {
    throw new TypeError(`${name} must be a boolean, got ${describe(value)}`);
  }
  return value;
}

/** @param {unknown} value @returns {string} */
export function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an Array";
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value;
}

/** Refuse snapshot data that is not bytes before it crosses. @param {unknown} data */
export function checkSnapshot(data) {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`snapshot must be a Uint8Array, got ${describe(data)}`);
  }
}

/** @param {unknown} op @returns {number} */
export function checkOperator(op) {
  return checkInteger(op, "op_type", 0, OPERATOR_NAMES.length - 1);
}
