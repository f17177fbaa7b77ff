from rest_framework.routers import APIRootView

from kundeservice.roles import PUBLIC, RolePermission


class PublicAPIRootView(APIRootView):
    """The API's index of endpoints, open to everyone."""

    permission_classes = [RolePermission]
    read_roles = PUBLIC
    write_roles = ()
