# Transitional: this commit only moves axis/client.py to axis/client/models.py, unchanged, so
# that git follows its history; the next commit splits it into models, errors, calls and the
# two clients. Until then the package offers what the module did.
from axis.client import models as _models
from axis.client.models import *  # noqa: F403
from axis.client.models import (
    DEFAULT_TIMEOUT as DEFAULT_TIMEOUT,
)
from axis.client.models import (
    USER_AGENT as USER_AGENT,
)
from axis.client.models import (
    Finding as Finding,
)
from axis.client.models import (
    Kind as Kind,
)
from axis.client.models import (
    __all__ as __all__,
)
from axis.client.models import (
    error_from_response as error_from_response,
)

__doc__ = _models.__doc__
