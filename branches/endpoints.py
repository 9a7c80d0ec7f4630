"""Head office's sync endpoints, called by branch instances (not staff pages: a branch
credential in ``Authorization: Bearer ...`` instead of a login). Bodies are JSON, gzip-compressed
both ways. Every refusal is logged (``Refusal``) and answered 401/403 with the reason."""

import gzip
import io
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError
from django.http import Http404, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from crm.public import client_ip, rate_limit

from . import sync

MAX_BODY = 256 * 1024 * 1024  # a decompressed batch; 2,000 rows are a few MB


def _json(data, status=200) -> JsonResponse:
    response = JsonResponse(data, status=status)
    response.content = gzip.compress(response.content, compresslevel=3)
    response["Content-Encoding"] = "gzip"
    response["Content-Length"] = str(len(response.content))
    return response


def _endpoint(serve):
    @csrf_exempt
    @require_POST
    # Per address: a branch's sync of 100,000 changes makes about 150 requests a minute; a flood
    # of made-up credentials would otherwise fill the refusal log.
    @rate_limit("sync", "600/m")
    def view(request):
        if settings.RELASI_ROLE != "hq":
            raise Http404
        address = client_ip(request)
        auth = request.headers.get("Authorization", "")
        try:
            credential = sync.credential_check(auth.removeprefix("Bearer ").strip(), address=address)
        except sync.Refused as e:
            return _json({"refused": str(e)}, status=401 if "unknown" in str(e) else 403)
        try:
            # Not request.body: Django caps that at DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), and a batch
            # of long rows refused for its size would be sent again, and refused, for ever.
            if int(request.headers.get("Content-Length") or 0) > MAX_BODY:
                raise ValueError("body too large")
            raw = request.read()
            if request.headers.get("Content-Encoding") == "gzip":
                with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
                    raw = f.read(MAX_BODY + 1)
                if len(raw) > MAX_BODY:
                    raise ValueError("body too large")
            body = json.loads(raw)
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except (ValueError, OSError, EOFError) as e:
            return _json({"error": f"malformed request: {e}"}, status=400)
        if body.get("branch") not in (None, credential.branch.code):
            sync.refuse(f"credential of {credential.branch.code} used for {body.get('branch')!r}",
                        credential=credential, address=address)
            return _json({"refused": "credential of another branch"}, status=403)
        try:
            return _json(serve(credential, body))
        except sync.Refused as e:
            sync.refuse(str(e), credential=credential, address=address)
            return _json({"refused": str(e)}, status=403)
        except (KeyError, LookupError, TypeError, ValueError, ValidationError, DataError, IntegrityError) as e:
            # Nothing of the batch was applied (its transaction rolled back); the branch sees why.
            return _json({"error": f"malformed request: {e!r}"[:1000]}, status=400)

    view.__name__ = serve.__name__
    return view


push = _endpoint(sync.push_receive)
pull = _endpoint(sync.pull_serve)
snapshot = _endpoint(sync.snapshot_serve)
