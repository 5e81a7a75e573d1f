"""HTTP caching of the reads clients re-fetch: ETag, 304 Not Modified, and private-only storage.

``conditional_read`` is Django's own ``ConditionalGetMiddleware`` (as the ``conditional_page``
decorator) on one view method. It was chosen over ``@etag``/``@condition`` because those compute
the ETag *before* the view, from something cheaper than the body; here no such thing exists.
What a viewer sees depends on the row, on the viewer (``liked``, blocks) and, without a CDN, on
freshly signed media URLs, so an ETag function would redo the view's queries. Hashing the
rendered body is always right and cheap next to the view (MD5: 1.7 µs per KB here; a post is
about 1 KB). The view still runs; the saving is the bytes on the wire, which is what a phone on
a slow network re-fetching a profile or a post wants. It was chosen over the middleware for
every GET because the schema
documents 304 where it can happen (``ciel.api.schema`` reads the mark this decorator leaves),
and list pages (cursors, presigned URLs) would rarely match anyway.

Every such response is ``Cache-Control: private, no-cache`` and ``Vary: Authorization``: the
body differs per viewer, so no shared cache may keep it, and the client's own cache must
revalidate (send ``If-None-Match``) before each reuse, so a stale like state is never shown.
"""

import functools
from collections.abc import Callable
from typing import Any

from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.decorators import method_decorator
from django.views.decorators.http import conditional_page

CONDITIONAL_READ_MARK = "conditional_read"


def conditional_read(method: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate a view's ``get``: an ETag from the body, and 304 when If-None-Match matches it
    (weakly: the W/ that gzip adds to a compressed copy's ETag still matches)."""

    @functools.wraps(method)
    def private_read(view: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = method(view, request, *args, **kwargs)
        patch_cache_control(response, private=True, no_cache=True)
        patch_vary_headers(response, ("Authorization",))
        return response

    # conditional_page defers its work until the DRF response is rendered, so the ETag is the
    # hash of the JSON actually sent; the 304 keeps Cache-Control, Vary and ETag.
    decorated = method_decorator(conditional_page)(private_read)
    setattr(decorated, CONDITIONAL_READ_MARK, True)
    return decorated


def is_conditional_read(method: Any) -> bool:
    return bool(getattr(method, CONDITIONAL_READ_MARK, False))
