//! The gRPC edge of the notifications service: each call parsed by `wire`, run by `app`,
//! answered in wire types; errors become statuses through `baton_platform::error`.

use tonic::{Request, Response, Status};

use baton_platform::policy::Access;
use baton_proto::notifications::v1 as pb;
use baton_proto::notifications::v1::notifications_service_server::NotificationsService;

use crate::app::Notifications;
use crate::hub::StreamItem;
use crate::wire;

pub struct NotificationsApi {
    app: Notifications,
}

impl NotificationsApi {
    pub fn new(app: Notifications) -> Self {
        Self { app }
    }
}

#[tonic::async_trait]
impl NotificationsService for NotificationsApi {
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        let access = Access::of(&request)?;
        let query = wire::parse_list(request.get_ref())?;
        let page = self.app.list(&access, query).await?;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: page.notifications.iter().map(wire::notification).collect(),
            next_page_token: page.next_page_token,
        }))
    }

    async fn mark_notification_read(
        &self,
        request: Request<pb::MarkNotificationReadRequest>,
    ) -> Result<Response<pb::MarkNotificationReadResponse>, Status> {
        let access = Access::of(&request)?;
        let name = wire::parse_mark_read(request.get_ref())?;
        let notification = self.app.mark_read(&access, name).await?;
        Ok(Response::new(pb::MarkNotificationReadResponse { notification: Some(wire::notification(&notification)) }))
    }

    type WatchNotificationsStream =
        std::pin::Pin<Box<dyn tokio_stream::Stream<Item = Result<pb::WatchNotificationsResponse, Status>> + Send>>;

    async fn watch_notifications(
        &self,
        request: Request<pb::WatchNotificationsRequest>,
    ) -> Result<Response<Self::WatchNotificationsStream>, Status> {
        let access = Access::of(&request)?;
        let recipient = wire::parse_watch(request.get_ref())?;
        let watch = self.app.watch(&access, recipient)?;
        let stream = tokio_stream::StreamExt::map(watch, |notification: StreamItem| {
            Ok(pb::WatchNotificationsResponse { notification: Some((*notification).clone()) })
        });
        Ok(Response::new(Box::pin(stream)))
    }
}
