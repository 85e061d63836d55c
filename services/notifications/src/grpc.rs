//! The gRPC edge of the notifications service: validation, conversion, and error mapping.

use tonic::{Request, Response, Status};

use baton_platform::Actor;
use baton_platform::paging;
use baton_platform::time::{optional_timestamp, timestamp};
use baton_platform::validate::{self, Violations};
use baton_proto::notifications::v1 as pb;
use baton_proto::notifications::v1::notifications_service_server::NotificationsService;

use crate::app::Notifications;
use crate::domain::Notification;
use crate::hub::StreamItem;

pub struct NotificationsApi {
    app: Notifications,
}

impl NotificationsApi {
    pub fn new(app: Notifications) -> Self {
        Self { app }
    }
}

impl From<&Notification> for pb::Notification {
    fn from(n: &Notification) -> Self {
        pb::Notification {
            name: n.name(),
            recipient: format!("people/{}", n.recipient),
            kind: n.kind() as i32,
            title: n.title.clone(),
            body: n.body.clone(),
            subject: n.subject.clone(),
            project: n.project.clone(),
            actor: n.actor.clone(),
            create_time: Some(timestamp(n.create_time)),
            read_time: optional_timestamp(n.read_time),
        }
    }
}

#[tonic::async_trait]
impl NotificationsService for NotificationsApi {
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let actor = Actor::of(&request);
        let request = request.into_inner();
        let mut v = Violations::new();
        let recipient = v.check("recipient", validate::resource_id(&request.recipient, "people"));
        let limit = v.check("page_size", paging::page_size(request.page_size));
        let before = v.check("page_token", paging::decode_seq_token(&request.page_token));
        let ((recipient, limit), before) = v.finish_with(recipient.zip(limit).zip(before))?;
        let page = self.app.list(actor, recipient, request.unread_only, before, limit).await?;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: page.notifications.iter().map(pb::Notification::from).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn mark_notification_read(
        &self,
        request: Request<pb::MarkNotificationReadRequest>,
    ) -> Result<Response<pb::MarkNotificationReadResponse>, Status> {
        let actor = Actor::of(&request);
        let mut v = Violations::new();
        let id = v.check("name", validate::resource_id(&request.get_ref().name, "notifications"));
        let id = v.finish_with(id)?;
        let notification = self.app.mark_read(actor, id).await?;
        Ok(Response::new(pb::MarkNotificationReadResponse { notification: Some((&notification).into()) }))
    }

    type WatchNotificationsStream =
        std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::WatchNotificationsResponse, Status>> + Send>>;

    async fn watch_notifications(
        &self,
        request: Request<pb::WatchNotificationsRequest>,
    ) -> Result<Response<Self::WatchNotificationsStream>, Status> {
        let actor = Actor::of(&request);
        let mut v = Violations::new();
        let recipient = v.check("recipient", validate::resource_id(&request.get_ref().recipient, "people"));
        let recipient = v.finish_with(recipient)?;
        let watch = self.app.watch(actor, recipient)?;
        let stream = tokio_stream::StreamExt::map(watch, |notification: StreamItem| {
            Ok(pb::WatchNotificationsResponse { notification: Some((*notification).clone()) })
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
