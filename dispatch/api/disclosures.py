"""Each answer that shows a person's data whole is recorded before it leaves.

The serialisers note what they show whole (dispatch.privacy.show). A write's service records
what its answer shows in its own commit (services.access_records.note_answer); for a read,
after the view, one service call writes the request's access records, and that is the read's
only commit. The answer and its record stand or fall together: when the record cannot be
written, the data is not sent (503).
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from dispatch import privacy
from dispatch.errors import error_body
from dispatch.extensions import db
from dispatch.requestlog import request_id
from dispatch.services.access_records import purpose_of, record_reads

log = logging.getLogger(__name__)
RETRY_AFTER_S = 2


WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _start() -> None:
    endpoint = f"{request.method} {request.path}"
    privacy.start_reads(endpoint, purpose_of(request.blueprint), request_id() or "")


def _record(response: Response) -> Response:
    reads = privacy.take_reads()
    scope = g.get("scope")
    if not reads or scope is None or response.status_code >= 400:
        return response
    now = privacy.reading()
    if now is None:
        return response
    if request.method in WRITES:
        # A second transaction: the service should have recorded its answer (note_answer).
        log.warning("%s showed %d unrecorded people whole", now.endpoint, len(reads))
    try:
        record_reads(db.session, scope, reads, now.endpoint, now.purpose, now.request_id)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("access record not written; the answer is withheld")
        msg = (
            "无法记录本次查阅，数据未发送，请稍后重试 / The access could not be recorded, so "
            f"the data was not sent; try again in {RETRY_AFTER_S} s"
        )
        withheld = jsonify(error_body(503, msg, retry_after=RETRY_AFTER_S))
        withheld.status_code = 503
        withheld.headers["Retry-After"] = str(RETRY_AFTER_S)
        return withheld
    return response


def _stop(exc: BaseException | None) -> None:
    privacy.stop_reads()


def init_app(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_record)
    app.teardown_request(_stop)
