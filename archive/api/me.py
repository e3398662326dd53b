"""`GET /api/v1/me`: who the credentials belong to."""

from flask import jsonify
from flask_login import current_user

from archive.api.blueprint import bp


@bp.get("/me")
def me():
    user = current_user
    return jsonify(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organisation=user.organisation.name if user.organisation else None,
    )
