// errors.js - libtsmem's errors as thrown Errors: the message is
// ts_last_error()'s sentence (the call, the cause, the fix), `code` the
// ts_status name (e.g. 'TS_ERR_STALE_HANDLE'), `status` its value.
import { C, STATUS } from './native.js';

export class TsmemError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'TsmemError';
    this.code = code;
    this.status = Math.max(0, STATUS.indexOf(code));
  }
}

/** The thread's last libtsmem error as a TsmemError. */
export function lastError() {
  const status = C.ts_last_status();
  const msg = C.ts_last_error() || 'libtsmem reported an error without a message';
  return new TsmemError(STATUS[status] ?? `TS_STATUS_${status}`, msg);
}

/** Throws for a nonzero ts_status. */
export function check(status) {
  if (status !== 0) throw lastError();
}
