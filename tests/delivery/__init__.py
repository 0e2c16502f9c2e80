"""Tests of bot.delivery: schedules, the scheduler, the outbox and its delivery policy."""
