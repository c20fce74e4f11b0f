"""schemathesis hooks for scripts/api-contract.sh: request bodies of media types it does not
serialise by itself. `POST /v1/posts/batch` takes JSON Lines (`application/x-ndjson`), whose
schema is a string: it is sent as it is, in UTF-8."""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    return (json.dumps(value, ensure_ascii=False) + "\n").encode("utf-8")
