from oauthsrv import create_app

app = create_app()
