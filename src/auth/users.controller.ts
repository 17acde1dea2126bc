import { Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../audit/actor.js';
import { ValidBody } from '../common/body-validation.pipe.js';
import { ApiErrors, BODY_ERRORS } from '../openapi/api-errors.decorator.js';
import { CurrentActor, CurrentUser } from './current-actor.decorator.js';
import {
  CreateUserDto,
  SignedInUserDto,
  toSignedInUserDto,
  toUserDto,
  UpdateUserDto,
  UserDto,
} from './dto/user.dto.js';
import { Permission } from './permissions.js';
import { RequirePermission, SignedIn } from './require-permission.decorator.js';
import type { User } from './user.js';
import { UsersService } from './users.service.js';

const USER_NOT_FOUND = { 404: '`user_not_found`: no user has this uid' };
const ROLE_ABOVE_YOURS = {
  403: '`insufficient_permissions`: the role lacks the permission, or the user or role is above your own',
};
const LAST_ADMIN = { 409: '`last_admin`: the last active admin cannot be deleted, demoted or locked' };

@ApiTags('users')
@Controller('v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermission(Permission.ViewAllUsersInfo)
  @ApiOkResponse({ type: [UserDto] })
  async list(): Promise<UserDto[]> {
    return (await this.users.list()).map(toUserDto);
  }

  // Before `:uid`, which would take `me` for a uid.
  @Get('me')
  @SignedIn()
  @ApiOkResponse({ type: SignedInUserDto })
  me(@CurrentUser() user: User): SignedInUserDto {
    return toSignedInUserDto(user);
  }

  @Get(':uid')
  @RequirePermission(Permission.ViewUserInfo)
  @ApiOkResponse({ type: UserDto })
  @ApiErrors(USER_NOT_FOUND)
  async get(@Param('uid') uid: string): Promise<UserDto> {
    return toUserDto(await this.users.get(uid));
  }

  @Post()
  @HttpCode(200)
  @RequirePermission(Permission.CreateNewUser)
  @ApiOkResponse({ type: UserDto })
  @ApiErrors({ ...BODY_ERRORS, ...ROLE_ABOVE_YOURS, 409: '`email_taken`: another user has this email' })
  async create(@ValidBody('user') user: CreateUserDto, @CurrentActor() actor: Actor): Promise<UserDto> {
    return toUserDto(await this.users.create(user, actor));
  }

  @Put(':uid')
  @RequirePermission(Permission.UpdateUser)
  @ApiOkResponse({ type: UserDto })
  @ApiErrors({ ...BODY_ERRORS, ...ROLE_ABOVE_YOURS, ...USER_NOT_FOUND, ...LAST_ADMIN })
  async update(
    @Param('uid') uid: string,
    @ValidBody('user update') update: UpdateUserDto,
    @CurrentActor() actor: Actor,
  ): Promise<UserDto> {
    return toUserDto(await this.users.update(uid, update, actor));
  }

  @Delete(':uid')
  @RequirePermission(Permission.DeleteUser)
  @ApiOkResponse({ type: UserDto })
  @ApiErrors({ ...ROLE_ABOVE_YOURS, ...USER_NOT_FOUND, ...LAST_ADMIN })
  async remove(@Param('uid') uid: string, @CurrentActor() actor: Actor): Promise<UserDto> {
    return toUserDto(await this.users.remove(uid, actor));
  }
}
