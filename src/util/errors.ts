// A user-facing error: bad flag, bad file, bad line. The CLI prints its message as one line
// (no stack trace) and exits with code 2. Name the flag, file and line in the message.
export class UserError extends Error {
  override readonly name = 'UserError';
}
