# A Rails 6.1 app in one file signing in through Devise 4.8 and OmniAuth 2.1
# (Debian bookworm's ruby-rails, ruby-devise, ruby-omniauth,
# ruby-omniauth-oauth2, ruby-sqlite3), for ../rec.mjs: Devise's documented
# OmniAuth setup (a User model with :omniauthable, devise_for with an
# omniauth_callbacks controller, the layout showing flash notice and alert
# as Devise's README asks) and a generic OAuth 2.0 strategy built on
# omniauth-oauth2 for the lab provider (LAB_OP). Devise answers a failed
# callback with its own failure action: the flash "Could not authenticate
# you from Labop because ..." and a redirect to the sign-in page. Every
# secret is a test-only value; LAB_CLIENT_SECRET may be set wrong on
# purpose. Run: rackup -s webrick -o 127.0.0.1 -p 4882 config.ru
require "rails"
require "active_record/railtie"
require "action_controller/railtie"
require "action_view/railtie"
require "omniauth"
require "omniauth-oauth2"
require "devise"

$stdout.sync = true
OP = ENV.fetch("LAB_OP", "http://127.0.0.1:4881")

module OmniAuth
  module Strategies
    # The lab provider: its authorization, token and userinfo endpoints.
    class Labop < OmniAuth::Strategies::OAuth2
      option :name, "labop"
      option :client_options, site: OP, authorize_url: "/auth", token_url: "/token", auth_scheme: :request_body
      option :authorize_params, scope: "openid"
      uid { raw_info["sub"] }
      def raw_info
        @raw_info ||= access_token.get("/me").parsed
      end

      def callback_url
        full_host + callback_path
      end
    end
  end
end

# A GET starts the sign-in (the lab's browser follows a link); OmniAuth 2
# asks for POST with a CSRF token by default (omniauth-rails_csrf_protection).
OmniAuth.config.allowed_request_methods = %i[get post]
OmniAuth.config.silence_get_warning = true
OmniAuth.config.request_validation_phase = nil
OmniAuth.config.logger = Logger.new($stdout)

class DeviseLab < Rails::Application
  config.root = __dir__
  config.eager_load = false
  config.consider_all_requests_local = false
  config.secret_key_base = "test-only-secret-key-base-of-the-devise-lab-app-0123456789abcdef"
  config.hosts.clear
  config.logger = Logger.new($stdout)
  config.log_level = :info
  config.i18n.available_locales = %i[en]
end

ENV["DATABASE_URL"] = "sqlite3:#{ENV.fetch("LAB_DB", "tmp-devise-lab.sqlite3")}"
ActiveRecord::Schema.verbose = false

Devise.setup do |config|
  require "devise/orm/active_record"
  config.secret_key = "test-only-devise-secret-key-of-the-lab-app"
  config.omniauth :labop, "devise-app", ENV.fetch("LAB_CLIENT_SECRET", "test-only-client-secret-for-devise-app"),
                  strategy_class: OmniAuth::Strategies::Labop
  config.navigational_formats = ["*/*", :html]
end

DeviseLab.initialize!


ActiveRecord::Schema.define do
  create_table :users, force: true do |t|
    t.string :email, null: false, default: ""
    t.string :encrypted_password, null: false, default: ""
    t.string :provider
    t.string :uid
  end
end

class User < ActiveRecord::Base
  devise :database_authenticatable, :omniauthable, omniauth_providers: %i[labop]
end

class ApplicationController < ActionController::Base
  LAYOUT = <<~ERB
    <!DOCTYPE html>
    <html><head><meta charset="utf-8"><title>Devise lab</title><link rel="icon" href="data:,"></head>
    <body>
      <p class="notice"><%= notice %></p>
      <p class="alert"><%= alert %></p>
      <%= yield %>
    </body></html>
  ERB
  layout -> { false }
  def render_page(body)
    render inline: LAYOUT.sub("<%= yield %>", body)
  end
end

class HomeController < ApplicationController
  def show
    if user_signed_in?
      render_page %(<p id="who">Signed in as <%= current_user.uid %></p>)
    else
      render_page %(<a id="signin" href="/users/auth/labop">Sign in with Labop</a>)
    end
  end
end

# Devise's sign-in page, as its sessions controller renders it, in the layout.
class SignInController < Devise::SessionsController
  def new
    render_page = ApplicationController::LAYOUT.sub("<%= yield %>", %(<h2>Log in</h2><a href="/users/auth/labop">Sign in with Labop</a>))
    render inline: render_page
  end
end

module Users
  class OmniauthCallbacksController < Devise::OmniauthCallbacksController
    def labop
      auth = request.env["omniauth.auth"]
      user = User.find_or_create_by!(provider: auth.provider, uid: auth.uid) { |u| u.email = "#{auth.uid}@example.test" }
      sign_in_and_redirect user, event: :authentication
      set_flash_message(:notice, :success, kind: "Labop")
    end
    # failure: Devise's own (set_flash_message! :alert, :failure, then a
    # redirect to after_omniauth_failure_path_for).
  end
end

DeviseLab.routes.draw do
  devise_for :users, controllers: { omniauth_callbacks: "users/omniauth_callbacks", sessions: "sign_in" }
  root to: "home#show"
end
# The routes are drawn after initialize! (one file): Devise's own finalize
# hook ran then, with no mapping, so its URL helpers (new_session_path for
# the failure redirect) are generated here.
Devise.configure_warden!
Devise.regenerate_helpers!

run DeviseLab
