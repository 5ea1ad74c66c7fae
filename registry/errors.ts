import { IdpError } from "../src/errors/index.ts";
import { OCI_ERROR_STATUS, type OciErrorCode } from "../src/oci/errorcodes.ts";

/**
 * An error with its distribution-spec code. The store and routes throw it; the one
 * `onError` in registry/app.ts turns it into `{"errors":[…]}` with `status` (by default the
 * code's usual status) and any extra headers (Range on 416, Retry-After on 429).
 */
export class RegistryError extends IdpError {
  override name = "RegistryError";
  readonly code: OciErrorCode;
  readonly status: number;
  readonly detail: unknown;
  readonly headers: Record<string, string>;

  constructor(
    code: OciErrorCode,
    message: string,
    options: { status?: number; detail?: unknown; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.code = code;
    this.status = options.status ?? OCI_ERROR_STATUS[code];
    this.detail = options.detail;
    this.headers = options.headers ?? {};
  }
}
