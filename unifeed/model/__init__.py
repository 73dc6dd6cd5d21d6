"""The unified sequential recommender: model, training, checkpoints, offline evaluation."""

from unifeed.model.checkpoint import Checkpoint, CheckpointError
from unifeed.model.evaluate import evaluate, metrics_from_ranks, rank_targets
from unifeed.model.pipeline import RunResult, build_model, model_config, train_and_evaluate
from unifeed.model.popularity import Popularity
from unifeed.model.split import Split, leave_one_out
from unifeed.model.train import TrainConfig, TrainObserver, TrainResult, fit
from unifeed.model.transducer import ModelConfig, Transducer

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "ModelConfig",
    "Popularity",
    "RunResult",
    "Split",
    "TrainConfig",
    "TrainObserver",
    "TrainResult",
    "Transducer",
    "build_model",
    "evaluate",
    "fit",
    "leave_one_out",
    "metrics_from_ranks",
    "model_config",
    "rank_targets",
    "train_and_evaluate",
]
