"""Reminders and notifications (issue 13 §4): one service for everything due, delivered in the app (a bell and
a page), as a daily e-mail digest and as a personal calendar feed. See docs/rhythm-notify.md."""
