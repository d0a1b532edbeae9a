"""Journeys (SOP): triggers, waits, conditions and staff tasks, with guard rails and a holdout per journey.

siyu never messages customers itself (WeChat forbids grey automation): a journey's action is a task for the
staff member who owns the customer, a coupon through siyu.loyalty, or a group invite task. State, tasks and
outcomes live in the operational store; the warehouse is only read.
"""
