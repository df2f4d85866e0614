from loyalty.models.program import EarningRule, Program, ProgramVersion, Tier

__all__ = ["EarningRule", "Program", "ProgramVersion", "Tier"]
