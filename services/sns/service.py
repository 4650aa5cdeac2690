"""The SNS service of one application: its stores of records, and the runtime beside them
(retry timers of deliveries, the replays being fed, an HTTP client, the message signer)."""

from __future__ import annotations

from typing import Any

from services.core.service import Operations, Service, ServiceEnv
from services.sns.records import SnsStore, dump_store, load_store

operations = Operations("sns")

RECENT_DELIVERIES = 1000  # per store, for inspection; older ones are forgotten


class SnsService(Service[SnsStore]):
    def __init__(self, env: ServiceEnv) -> None:
        super().__init__(env, operations, SnsStore)
        self.retry_timers: dict[int, Any] = {}  # id(delivery record) -> its retry timer
        self.replaying: set[str] = set()  # subscriptions whose replay is being fed now (archive.py)
        self.host = "localhost:4566"  # where URLs in messages point (the Host of the last request)
        self._signer: Any = None
        self.inspectors["deliveries"] = self._inspect_deliveries
        self.inspectors["certificate"] = self._inspect_certificate
        self.inspectors["subscriptions"] = self._inspect_subscriptions
        self.inspectors.update({"sms": self._inspect_sms, "platform-endpoint-messages": self._inspect_pushes})

    @property
    def signer(self) -> Any:
        if self._signer is None:
            from services.sns.signing import Signer

            self._signer = Signer()
        return self._signer

    def _stop_runtime(self) -> None:
        for timer in self.retry_timers.values():
            timer.cancel()
        self.retry_timers.clear()
        self.replaying.clear()  # their tasks are cancelled with the store's (one cancelled unstarted never says so)

    async def reset(self) -> None:
        self._stop_runtime()
        await super().reset()

    def snapshot(self) -> Any:
        return self.dump_stores(dump_store)

    def restore(self, snapshot: Any) -> None:
        from services.sns.delivery import rearm

        self._stop_runtime()
        self.load_stores(snapshot, load_store)
        for (account, region), store in self.stores.items():
            for delivery in store.deliveries:
                if delivery.status == "pending" and delivery.due_at is not None:
                    rearm(self, account, region, delivery)
        from services.sns.archive import resume

        resume(self)  # unfinished replays go on from the sequence number they reached

    def _inspect_subscriptions(self, query: dict[str, str]) -> dict[str, Any]:
        """Every subscription, with the confirmation token of those still pending."""
        store = self.stores.find(query["Account"], query["Region"])
        listed = [] if store is None else [
            {"SubscriptionArn": s.arn, "TopicArn": s.topic_arn, "Protocol": s.protocol, "Endpoint": s.endpoint,
             "PendingConfirmation": not s.confirmed, **({"Token": s.token} if not s.confirmed else {})}
            for s in store.subscriptions.values()
        ]
        return {"Subscriptions": listed}

    def _inspect_certificate(self, query: dict[str, str]) -> dict[str, Any] | None:
        """The signing certificate, when `Name` is its file name."""
        signer = self.signer
        return {"Pem": signer.certificate_pem.decode()} if query.get("Name") == signer.certificate_name() else None

    def _inspect_deliveries(self, query: dict[str, str]) -> dict[str, Any]:
        from services.sns.delivery import describe_delivery

        store = self.stores.find(query["Account"], query["Region"])
        topic = query.get("TopicArn")
        deliveries = [] if store is None else [
            describe_delivery(d) for d in store.deliveries
            if topic is None or d.payload.get("TopicArn") == topic or d.payload.get("topic_arn") == topic
        ]
        return {"Deliveries": deliveries}

    def _inspect_sms(self, query: dict[str, str]) -> dict[str, Any]:
        """Recorded texts (Publish to a number, sandbox verification codes), oldest first."""
        store = self.stores.find(query["Account"], query["Region"])
        phone = query.get("PhoneNumber")
        return {"Messages": [] if store is None else [m for m in store.sms if phone is None or m["PhoneNumber"] == phone]}

    def _inspect_pushes(self, query: dict[str, str]) -> dict[str, Any]:
        """Messages published to platform endpoints, oldest first (`EndpointArn` filters)."""
        store = self.stores.find(query["Account"], query["Region"])
        arn = query.get("EndpointArn")
        return {"Messages": [] if store is None else [m for m in store.pushes if arn is None or m["EndpointArn"] == arn]}

    def discard_recorded(self, view: str, query: dict[str, str]) -> None:
        """Forget the recorded texts (`sms`) or pushes (`platform-endpoint-messages`) of one
        account and region, or only those to `PhoneNumber` / `EndpointArn`."""
        store = self.stores.find(query["Account"], query["Region"])
        if store is None:
            return
        if view == "sms":
            phone = query.get("PhoneNumber")
            store.sms[:] = [] if phone is None else [m for m in store.sms if m["PhoneNumber"] != phone]
        elif view == "platform-endpoint-messages":
            arn = query.get("EndpointArn")
            store.pushes[:] = [] if arn is None else [m for m in store.pushes if m["EndpointArn"] != arn]
        else:
            raise KeyError(view)


def create(env: ServiceEnv) -> SnsService:
    return SnsService(env)
