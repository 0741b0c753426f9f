"""Batches of scenarios: the runner (:mod:`.runner`), one worker's side (:mod:`.worker`), the output
folder (:mod:`.store`) and the executors, local processes or Ray (:mod:`.executors`)."""

from routing.batch.executors import Executor, ExecutorError
from routing.batch.runner import BatchProgress, BatchResult, run_batch, summarize_rows
from routing.batch.store import OutputError, read_summary, scenario_folder, write_outcome
from routing.batch.worker import (
    FRAMES,
    RECORD_COLUMNS,
    SUMMARY_SCHEMA,
    TIMING_COLUMNS,
    ScenarioOutcome,
    ScenarioRunner,
)

__all__ = ["FRAMES", "RECORD_COLUMNS", "SUMMARY_SCHEMA", "TIMING_COLUMNS", "BatchProgress", "BatchResult",
           "Executor", "ExecutorError", "OutputError", "ScenarioOutcome", "ScenarioRunner", "read_summary", "run_batch",
           "scenario_folder", "summarize_rows", "write_outcome"]
