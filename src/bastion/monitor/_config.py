"""A feature's effective ``monitoring_config``: the global block, its overrides, the defaults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bastion.monitor._formats import (
    CategoricalMethod,
    ComparisonMethod,
    Constraints,
    DistributionConstraints,
    MonitoringConfig,
)
from bastion.monitor._suggest import DEFAULT_THRESHOLD


@dataclass(frozen=True, kw_only=True)
class EffectiveConfig:
    """Every ``monitoring_config`` key resolved for one feature."""

    evaluate_constraints: bool = True
    emit_metrics: bool = True
    datatype_check_threshold: float = DEFAULT_THRESHOLD
    domain_content_threshold: float = DEFAULT_THRESHOLD
    perform_comparison: bool = True
    comparison_threshold: float = DEFAULT_THRESHOLD
    comparison_method: ComparisonMethod = "Robust"
    categorical_comparison_threshold: float = DEFAULT_THRESHOLD
    categorical_drift_method: CategoricalMethod = "LInfinity"


def _on(value: Literal["Enabled", "Disabled"] | None, default: bool) -> bool:
    return default if value is None else value == "Enabled"


def _apply(config: EffectiveConfig, block: MonitoringConfig | None) -> EffectiveConfig:
    if block is None:
        return config
    dist = block.distribution_constraints or DistributionConstraints()
    return EffectiveConfig(
        evaluate_constraints=_on(block.evaluate_constraints, config.evaluate_constraints),
        emit_metrics=_on(block.emit_metrics, config.emit_metrics),
        datatype_check_threshold=float(
            block.datatype_check_threshold
            if block.datatype_check_threshold is not None
            else config.datatype_check_threshold
        ),
        domain_content_threshold=float(
            block.domain_content_threshold
            if block.domain_content_threshold is not None
            else config.domain_content_threshold
        ),
        perform_comparison=_on(dist.perform_comparison, config.perform_comparison),
        comparison_threshold=float(
            dist.comparison_threshold
            if dist.comparison_threshold is not None
            else config.comparison_threshold
        ),
        comparison_method=dist.method or config.comparison_method,
        categorical_comparison_threshold=float(
            dist.categorical_comparison_threshold
            if dist.categorical_comparison_threshold is not None
            else config.categorical_comparison_threshold
        ),
        categorical_drift_method=dist.categorical_drift_method or config.categorical_drift_method,
    )


def effective_config(constraints: Constraints, feature: str | None = None) -> EffectiveConfig:
    """The global config, then the named feature's ``monitoringConfigOverrides``."""
    config = _apply(EffectiveConfig(), constraints.monitoring_config)
    if feature is not None:
        entry = constraints.feature(feature)
        if entry is not None:
            config = _apply(config, entry.monitoring_config_overrides)
    return config
