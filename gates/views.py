from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.views.generic import TemplateView

from gates.models import Gate
from gates.services import gates_with_hours, holidays_between, hours_on


class GateListView(TemplateView):
    """The public list of gates with today's goods hours and the coming holidays of both sides."""

    template_name = "gates/gate_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        upcoming = holidays_between(today, today + timedelta(days=30))
        holidays_today = [h for h in upcoming if h.day == today]
        gates = gates_with_hours(
            today, Gate.objects.restrict(self.request.user).filter(is_active=True)
        )
        context.update(
            today=today,
            holidays_today=holidays_today,
            upcoming_holidays=[h for h in upcoming if h.day != today],
            rows=[(gate, hours_on(gate, today, holidays_today=holidays_today)) for gate in gates],
        )
        return context
