"""The monitor section of the settings turned into the room's objects: engine and options."""

from __future__ import annotations

from bastion.monitor._models import DriftOptions, ProfileOptions
from bastion.monitor.engine import Engine, engine_from_url
from bastion.settings import Settings


def engine_for(settings: Settings) -> Engine:
    """``settings.monitor.engine``: DuckDB in-process (with ``threads``, ``memory_limit``), or
    Spark at a master URL (``local[*]``, ``spark://…``, ``yarn``, ``k8s://…``; the ``spark``
    extra)."""
    section = settings.monitor
    if section.engine == "duckdb":
        return engine_from_url("duckdb", threads=section.threads, memory_limit=section.memory_limit)
    return engine_from_url(section.engine)


def profile_options(settings: Settings) -> ProfileOptions:
    """Profile options from ``settings.monitor`` (KLL size, categories kept, batch rows)."""
    section = settings.monitor
    return ProfileOptions(
        kll_k=section.kll_k, max_categories=section.max_categories, batch_rows=section.batch_rows
    )


def drift_options(settings: Settings) -> DriftOptions:
    """The calibrated verdict's options from ``settings.monitor``."""
    section = settings.monitor
    return DriftOptions(
        fdr=section.drift_fdr,
        min_effect_numerical=section.min_effect_numerical,
        min_effect_categorical=section.min_effect_categorical,
    )
