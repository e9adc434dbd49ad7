"""The national SDK's 13 operations (SDKVXP 2.0.1), served from the node's own services.

Existing document management systems talk to the national axis through the vendor's Java SDK; these
routes let them talk to this node unchanged, by pointing the SDK's `endpoint` at
`http://host:port<compat_prefix>`. Nothing here has logic of its own: sending is the submission
service, the inbox is the mailbox (`routing.pull_delivery`), sent items are tracking, the agency
lists are the registry, exactly as behind `/v1` (`axis.http.dms`). What this module adds is the
SDK's dialect:

- every parameter arrives in signed `XroadVnpt-*` headers (`axis.http.compat.signature`): the
  caller is the HMAC client named by `XroadVnpt-systemid` (`ClientStore.hmac_secret`), and
  parameters are read only from the signed JSON, names matched case-insensitively; a request
  must sign the Content-Type of the operation it is sent to, and a client with strict parameters
  only the parameters that operation takes (`axis.http.compat.operations`, which says why no
  more is possible);
- failed authentications are counted against the address and the claimed `systemid`
  (`axis.http.throttle`); past the limit the operations answer FAIL `429` `AUTH_THROTTLED`
  (with `Retry-After`) without checking the HMAC; a client bound to a TLS client certificate
  is refused unless the connection presented it;
- every reply is HTTP 200 with ASCII-only JSON carrying `status`, `ErrorCode` and `ErrorDesc`
  (the SDK ignores the HTTP status, decodes `sendEdoc` replies as US-ASCII, and returns an
  all-null result when one of those fields is missing); `downloadEdoc` answers the raw packet,
  or an empty body on any error (the SDK saves whatever body it gets as the document);
- `ErrorCode` is `"0"` on success, otherwise an HTTP-like number: 400 bad request, 401
  authentication failed, 403 forbidden, 404 not found, 409 conflict, 413 too large, 429 too
  many failed authentications, 500 internal, 503 the database is away
  (`DATABASE_UNAVAILABLE`, with `Retry-After`). `ErrorDesc` starts with the node's machine code
  (`SUBMIT_SENDER_NOT_ALLOWED: ...`), except for authentication failures, which read
  `authentication failed: ...`;
- document ids are the node's message ids (UUIDs: the SDK puts them into local file names);
- times are `yyyy-MM-dd HH:mm:ss` in Vietnam's time (UTC+7).

`sendEdoc` routes by the packet's own To (documents) or ResponseFor (statuses) elements, which
its sender signed. The SDK's `to` header is optional (the vendor's sample omits it); when it is
given, every code it names must be among those the packet carries, otherwise the request is
refused rather than silently routed elsewhere than the caller said.

One SDK service object keeps every parameter it was ever given, so requests carry leftovers of
earlier calls. Operations read only what they need, and the optional parameters a leftover could
fake are handled: `level` narrows getAgenciesListQD20 only (where the vendor's sample passes it);
a `docId` of getSentEdocList that names one of the caller's received documents (left there by
getEdoc or updateStatus) does not narrow the list; a parameter signed under two spellings with
different values (`docid`, then `docId`) is refused as ambiguous. A `to` left over from an
earlier sendEdoc cannot be told from a current one; the refusal says so.

The registry is maintained by the Government Office through change sets, so `registerAgency`
and `deleteAgency` are open only to clients with the `registry-authority` role: they become a
change set creating or closing the unit, applied and published like `POST /v1/registry/changesets`.
"""

from axis.http.compat.dialect import Failure, failure_reply
from axis.http.compat.routes import install_misdirected, router

__all__ = ["Failure", "failure_reply", "install_misdirected", "router"]
