/** The one error shape on the wire, for every 4xx and 5xx. */
export interface ErrorBody {
  readonly error_code: string;
  readonly description: string;
}
