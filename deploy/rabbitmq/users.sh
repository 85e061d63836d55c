#!/usr/bin/env bash
# One RabbitMQ user per Baton service (docs/security.md, "Data-layer isolation"), through
# rabbitmqctl on a broker node. Idempotent: an existing user gets the password and the
# permissions again.
#
#   users.sh [--exchange baton.events] [--queue-prefix ''] [--user-prefix baton-] [--vhost /] \
#            people=PASSWORD projects=PASSWORD assets=PASSWORD notifications=PASSWORD
#   users.sh --delete [--user-prefix baton-] people projects assets notifications
#   users.sh --print [--exchange …] [--queue-prefix …] people projects assets notifications
#       prints each user's permissions (user, configure, write, read, topic write, topic
#       read; tab-separated) without touching a broker: deploy/k8s/validate.py checks the
#       Kubernetes Permission and TopicPermission objects against them.
#
# A publishing service (people, projects, assets) may declare the events exchange and its
# dead-letter exchange, publish to the events exchange only routing keys of its own event
# types (`baton.<service>.` — a topic permission), and read nothing but its own queue: the
# consuming services (projects, notifications) may declare, bind and read only their own queue
# and dead-letter queue; notifications publishes nothing (it may write to the dead-letter exchange, which RabbitMQ asks of whoever
# declares a queue that dead-letters there; it routes only to its own dead-letter queue). Each service then logs in with its own URL (amqp.urls.<service>).
set -euo pipefail

exchange=baton.events
queue_prefix=
user_prefix=baton-
vhost=/
delete=0
print=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --exchange) exchange=$2; shift 2 ;;
        --queue-prefix) queue_prefix=$2; shift 2 ;;
        --user-prefix) user_prefix=$2; shift 2 ;;
        --vhost) vhost=$2; shift 2 ;;
        --delete) delete=1; shift ;;
        --print) print=1; shift ;;
        -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
        -*) echo "users.sh: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[[ $# -gt 0 ]] || { echo "users.sh: name the services (people=PASSWORD ...)" >&2; exit 2; }

# A name as a regular expression that matches it alone.
literal() { printf '%s' "$1" | sed 's/[][\.*^$()+?{}|/]/\\&/g'; }
ex=$(literal "$exchange")
qp=$(literal "$queue_prefix")

for spec in "$@"; do
    service=${spec%%=*}
    user=$user_prefix$service
    if [[ $delete -eq 1 ]]; then
        rabbitmqctl -q delete_user "$user" >/dev/null 2>&1 || true
        continue
    fi
    case $service in
        people | assets)
            configure="^$ex(\\.dlx)?\$"
            write="^$ex\$"
            read='^$'
            topic_write="^baton\\.$service\\."
            topic_read='^$'
            ;;
        projects)
            # Publishes its own events and consumes the assets service's (its projection of
            # each project's components) from its own queue.
            queues="${qp}projects\\.events(\\.dlq)?"
            configure="^($ex(\\.dlx)?|$queues)\$"
            write="^($ex|$ex\\.dlx|$queues)\$"
            read="^($ex(\\.dlx)?|$queues)\$"
            topic_write="^baton\\.projects\\."
            topic_read='.*'
            ;;
        notifications)
            queues="${qp}notifications\\.events(\\.dlq)?"
            configure="^($ex(\\.dlx)?|$queues)\$"
            # Declaring a queue with a dead-letter exchange needs write on that exchange.
            write="^($ex\\.dlx|$queues)\$"
            read="^($ex(\\.dlx)?|$queues)\$"
            topic_write='^$'
            topic_read='.*'
            ;;
        *) echo "users.sh: $service is no Baton service" >&2; exit 2 ;;
    esac
    if [[ $print -eq 1 ]]; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$user" "$configure" "$write" "$read" "$topic_write" "$topic_read"
        continue
    fi
    [[ $spec == *=* ]] || { echo "users.sh: $service needs a password (SERVICE=PASSWORD)" >&2; exit 2; }
    password=${spec#*=}
    if ! rabbitmqctl -q add_user "$user" "$password" >/dev/null 2>&1; then
        rabbitmqctl -q change_password "$user" "$password" >/dev/null
    fi
    rabbitmqctl -q set_permissions -p "$vhost" "$user" "$configure" "$write" "$read" >/dev/null
    rabbitmqctl -q set_topic_permissions -p "$vhost" "$user" "$exchange" "$topic_write" "$topic_read" >/dev/null
done
