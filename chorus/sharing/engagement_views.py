"""EngagementTaskDone tasks: a programme manager asks for likes, boosts and replies on an existing
post; people do them through Chorus where the network allows it, else on the network's page."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from chorus.integrations import registry
from chorus.orgs.access import org_view
from chorus.orgs.models import Membership, Role
from chorus.program.models import is_participant
from chorus.sharing import actions
from chorus.sharing.access import connected_networks, get_task
from chorus.sharing.forms import EngageForm, EngagementTaskForm
from chorus.sharing.models import EngagementTask, EngagementTaskDone


@require_http_methods(["GET", "POST"])
@org_view(Role.PROGRAM_MANAGER)
def engagement_tasks(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The organisation's engagement tasks with what people did, and a form for a new one."""
    form = EngagementTaskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_create_task(membership, **form.cleaned_data)
        messages.success(request, _("The engagement is offered to the people concerned."))
        return redirect("engagement_tasks", org=membership.org.slug)
    tasks = EngagementTask.objects.filter(org=membership.org).annotate(done=Count("engagements"))
    status = 400 if form.is_bound else 200
    return render(
        request, "sharing/engagement_tasks.html", {"form": form, "tasks": tasks}, status=status
    )


@require_POST
@org_view(Role.PROGRAM_MANAGER)
def engagement_task_close(
    request: HttpRequest, membership: Membership, engagementtask_id: int
) -> HttpResponse:
    task = get_task(membership, engagementtask_id, manage=True)
    actions.do_close_task(membership, task)
    messages.success(request, _("Closed: it is no longer offered."))
    return redirect("engagement_tasks", org=membership.org.slug)


@require_http_methods(["GET", "POST"])
@org_view()
def engage(request: HttpRequest, membership: Membership, engagementtask_id: int) -> HttpResponse:
    """Do a task: with Chorus (`how=api`) or mark it done after doing it on the network."""
    task = get_task(membership, engagementtask_id)
    integration = registry.find(task.network)
    form = EngageForm(request.POST or None)
    by_chorus = (
        integration is not None
        and integration.engager is not None
        and task.action in integration.engages
        and task.network in connected_networks(membership)
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_engage(
                membership,
                task,
                text=form.cleaned_data["text"],
                marked=request.POST.get("how") != "api",
            )
        except actions.ShareRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, _("Done, thank you!"))
            return redirect("feed", org=membership.org.slug)
    done = EngagementTaskDone.objects.filter(task=task, membership=membership).first()
    context = {
        "task": task,
        "form": form,
        "by_chorus": by_chorus,
        "participant": is_participant(membership),
        "done": done,
        "network_label": integration.label if integration is not None else task.network,
        "open_url": integration.engage_intent(task.post_url, task.action, "")
        if integration is not None
        else task.post_url,
    }
    return render(request, "sharing/engage.html", context, status=400 if form.errors else 200)
