"""The confidence table a model folder carries: copied from the evaluation that measured it.

The evaluation (``python -m item2vec.research.evaluate``) measures, on held-out users, how
far to trust an answer by the asked-for artist's listeners, and writes the table to
``evaluation.json`` (``"confidence"``), with the data checksums and the model
configuration it measured. A model trained on that data with that configuration is the
model measured, so ``train_item2vec.py`` copies the table into its ``metadata.json``
(:func:`measured_table`); for any other data or configuration it would be another
model's, and the folder gets none (answers then say "not measured"). The shipped
``models/`` is rebuilt, table included, by the README's training command, which reads
the checkout's ``docs/evaluation.json`` (:func:`default_source`).
"""

import json
import logging
import os

from ..model.confidence import parse_confidence

logger = logging.getLogger(__name__)

#: Configuration fields that do not change what is measured (threads only change timing).
_IGNORED = ("workers",)


def default_source():
    """The checkout's ``docs/evaluation.json``, or None (an installed package has no docs/)."""
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(os.path.dirname(package), "docs", "evaluation.json")
    return path if os.path.isfile(path) else None


def measured_table(path, config, checksums):
    """The table of ``path``'s evaluation if it measured this data and configuration, else None.

    Parameters
    ----------
    path : str
        An ``evaluation.json``.
    config : dict
        The run's hyperparameters (``dataclasses.asdict(TrainConfig)``).
    checksums : dict
        The run's data files' SHA-256 (``Dataset.checksums``).

    Returns
    -------
    dict or None
        ``{"k", "ranking", "rare_ranking", "bands"}`` as :func:`parse_confidence` reads it.

    Raises
    ------
    ValueError
        When the file cannot be read or its table is malformed (the user named it).
    """
    try:
        with open(path, encoding="utf-8") as handle:
            result = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read the confidence table of {path}: {exc}") from None
    measured = result.get("confidence") if isinstance(result, dict) else None
    if not isinstance(measured, dict):
        raise ValueError(
            f"{path} holds no confidence table (an evaluation.json from before it was measured?)"
        )
    try:
        table = parse_confidence(measured).to_json()
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None
    theirs = {k: v for k, v in (measured.get("config") or {}).items() if k not in _IGNORED}
    mine = {k: v for k, v in config.items() if k not in _IGNORED}
    if measured.get("data_sha256") != checksums:
        logger.info("confidence: %s measured other data; this model gets no confidence table", path)
        return None
    if theirs != mine:
        differ = sorted(k for k in set(theirs) | set(mine) if theirs.get(k) != mine.get(k))
        logger.info(
            "confidence: %s measured another configuration (%s); this model gets no confidence table",
            path,
            ", ".join(differ),
        )
        return None
    logger.info("confidence: table of %s (measured on held-out users of this data and configuration)", path)
    return table
