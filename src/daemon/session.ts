import type { Role } from '../generated/schemas.js';
import { FailureThrottle } from './failure-throttle.js';

/** One client connection: its role once `session.hello` succeeded, and its failed authentications. */
export class Session {
  role: Role | undefined;
  readonly throttle = new FailureThrottle();

  constructor(readonly id: number) {}
}
