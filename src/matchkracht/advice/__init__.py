"""The advice layer: what a coordinator asks of a plan.

Why a task stayed open and what would fix it (:mod:`~matchkracht.advice.explain`,
:mod:`~matchkracht.advice.fixes`), which gaps recur and whom to recruit
(:mod:`~matchkracht.advice.signals`), who could take a task
(:mod:`~matchkracht.advice.whocan`), and the written report
(:mod:`~matchkracht.advice.report`). Everything here reads plans; nothing here
changes how a plan is made.
"""
