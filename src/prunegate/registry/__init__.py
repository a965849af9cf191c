"""Everything that talks to MLflow: tracking runs, registering versions, promoting them.

Promotion means moving the ``champion`` alias; MLflow's deprecated stages are never used.
"""

from prunegate.registry.credentials import with_credentials
from prunegate.registry.promotion import (
    fetch_for_gate,
    fetch_verified,
    promote,
    reconcile,
    rollback,
)
from prunegate.registry.release import (
    Champion,
    Release,
    champion_at_start,
    promote_release,
    register_release,
)
from prunegate.registry.tracking import (
    RunTracker,
    TrackingConfig,
    connect,
    flatten,
)
from prunegate.registry.versions import (
    CHALLENGER,
    CHAMPION,
    champion_version,
    compare_versions,
    register_deployable,
    release_tags,
    resolve_model_uri,
    split_of,
    status,
)

__all__ = ["CHALLENGER", "CHAMPION", "Champion", "Release", "RunTracker", "TrackingConfig",
           "champion_at_start", "champion_version", "promote_release", "reconcile",
           "register_release",
           "compare_versions", "connect", "fetch_for_gate", "fetch_verified", "flatten",
           "promote", "register_deployable", "release_tags", "resolve_model_uri", "rollback",
           "split_of", "status", "with_credentials"]
