"""The application layer: the recipe schema (recipe.py), the Kedro hook, project helpers, the
folder lock and the CLI. Only this layer and ``pipelines/`` import Kedro."""
