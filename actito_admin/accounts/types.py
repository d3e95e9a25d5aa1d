# AppRequest moved to actito_admin/types.py (audit, below accounts, needs it too). This name stays
# so that branches written before the move still import; new code imports actito_admin.types.
from actito_admin.types import AppRequest

__all__ = ["AppRequest"]
