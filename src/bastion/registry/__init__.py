"""Model registry: model groups and versions, approval, safe flavors, lineage and model cards."""
